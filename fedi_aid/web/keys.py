"""Typed keys for what the aiohttp application shares."""

from aiohttp import web

from fedi_aid.context import Context

CONTEXT_KEY = web.AppKey("context", Context)
