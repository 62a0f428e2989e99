"""User-facing errors: one message that names the file, row, column or field."""


class KMMError(Exception):
    """Base class of errors caused by user input; the CLI exits with code 2."""

    exit_code = 2


class SpecError(KMMError):
    """The spec itself is wrong (bad key, bad value, bad combination)."""

    def __init__(self, field, message, source=None):
        super().__init__(message)
        self.field = field
        self.message = message
        self.source = source

    def __str__(self):
        where = f"{self.source}: " if self.source else ""
        at = f"{self.field}: " if self.field else ""
        return f"{where}{at}{self.message}"


class DataError(KMMError):
    """The data does not match the spec, or a row is broken."""

    def __init__(self, message, file=None, row=None, column=None):
        self.file = file
        self.row = row
        self.column = column
        parts = []
        if file is not None:
            parts.append(f"{file}")
        if row is not None:
            parts.append(f"row {row}")
        if column is not None:
            parts.append(f"column '{column}'")
        prefix = ", ".join(parts)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class RunError(KMMError):
    """The run directory is in a state that forbids the command."""
