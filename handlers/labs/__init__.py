"""Labs in Telegram: residents browse and sign up; coordinators compose and manage."""
