"""The one base of the errors a user sees: what went wrong and what to do, with the HTTP answer it makes."""


class ConsoleError(Exception):
    """A refusal or failure the user can act on.

    message says what went wrong and what to do (a string, or a lazy one said in the reader's language); code is the API's machine-readable name; status the HTTP
    status the API answers; fields (name -> messages, or any JSON) points at what to change. A feature's
    error derives from this and sets its own code and status, so the one API error handler and every page
    answer it the same way.
    """

    code = "error"
    status = 400

    def __init__(self, message, code=None, status=None, fields=None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.fields = fields

    def as_api_error(self):
        """(status, code, message, fields) for the API's one error shape; fields None leaves them out."""
        return self.status, self.code, str(self.message), self.fields or None

    def __str__(self):
        # The message may be lazy (domains.words): said in the language active when it is read.
        return str(self.message)
