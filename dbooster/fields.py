from django.db import models

from dbooster import crypto


class EncryptedTextField(models.TextField):
    """A text column that only ever holds Fernet ciphertext.

    Reading a value that no configured key can decrypt raises
    `crypto.DecryptionError` rather than handing back garbage. Values cannot be
    filtered on (each encryption is randomised).
    """

    description = "Text encrypted at rest"

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        return crypto.decrypt(value, what=f"{self.model.__name__}.{self.name}")

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None:
            return None
        return crypto.encrypt(value)

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "dbooster.fields.EncryptedTextField", args, kwargs
