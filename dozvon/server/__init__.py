"""The HTTP/WebSocket server every client talks to (operator desktop, wallboard, adapters)."""
