"""Server-rendered pages: thin translations from forms to the same services as the API."""
