"""The Mastodon client API subset that Mastodon apps need, on fedi-aid's own accounts."""
