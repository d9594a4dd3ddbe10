"""Layer ``cli``: the ``rtmcim`` command. Thin: parse, call the API, print."""
