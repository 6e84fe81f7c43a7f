"""A local Telegram Bot API emulator (aiohttp, loopback) and a user-shaped client for it."""

from bot.emulator.client import EmulatedUser, render_transcript
from bot.emulator.ratelimit import RateLimits
from bot.emulator.server import BotAPIEmulator
from bot.emulator.state import ButtonNotFound

__all__ = ["BotAPIEmulator", "ButtonNotFound", "EmulatedUser", "RateLimits", "render_transcript"]
