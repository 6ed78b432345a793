"""The HTTP side of the bot: one ASGI application (Starlette) for webhook, health and metrics.

Shaped like python-telegram-bot's custom-webhook example (examples/customwebhookbot/
starlettebot.py): the route answers at once and hands the update to the Application's
update_queue; the Application (started, not polling) handles it. `firegrid run` serves it with
uvicorn in webhook mode; any other role that wants HTTP builds it with `create_web_app`.
"""

from bot.web.app import create_web_app

__all__ = ["create_web_app"]
