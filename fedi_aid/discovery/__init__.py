"""Discovery: find groups near a point by walking the follow graph, politely and boundedly."""
