"""Urban stories: coordinators publish them (in Slovenian and English) to residents who follow
the theme; residents submit their own, moderated first; staff export them for Portico."""
