"""magnet-bot core: configuration, domain services, delivery, scheduling, web and CLI."""
