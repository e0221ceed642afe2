"""The HTML interface for visitors and organisers: server-rendered, works without JavaScript."""
