"""Typed keys for what the aiohttp application shares."""

from aiohttp import web

from fedi_aid.context import Context
from fedi_aid.web.document_cache import DocumentCache

CONTEXT_KEY = web.AppKey("context", Context)
DOCUMENTS_KEY = web.AppKey("documents", DocumentCache)
