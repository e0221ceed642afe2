"""fedi-aid: a federated ActivityPub server for mutual aid."""

__version__ = "0.1.0"
SOFTWARE_NAME = "fedi-aid"
