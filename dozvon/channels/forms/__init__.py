"""Web forms and marketplace requests: the ``form`` channel.

A site's form or a marketplace posts a request to ``POST /hooks/{project}/forms/{form}``,
signed with the form's secret; :mod:`dozvon.channels.forms.intake` checks it, maps its
fields and hands it to the ingest — stored before it is acknowledged, a repeat answered
with the same conversation. Importing this package registers the ``form`` kind of channel
connection and its messages.
"""

from dozvon.channels.forms import kind as _kind  # noqa: F401  (registers the kind and its messages)
