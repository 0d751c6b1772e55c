"""orjson when available, else the standard json module (bytes in, bytes out)."""
try:
    import orjson

    def dumps(obj) -> bytes:
        return orjson.dumps(obj)

    loads = orjson.loads
except ImportError:  # pragma: no cover - exercised only without orjson
    import json

    def dumps(obj) -> bytes:
        return json.dumps(obj, separators=(",", ":")).encode()

    def loads(data):
        return json.loads(data)
