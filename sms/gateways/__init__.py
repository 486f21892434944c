"""The SMS gateways, one module per kind (see linli/gateways.py for how a kind is chosen)."""
