"""The web interface: server-rendered pages (Jinja2) with small ES modules over the JSON
API and the WebSocket. No build step and nothing from a CDN: installations are often
offline."""
