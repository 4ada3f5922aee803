import peewee


def apply(db):
    class User(peewee.Model):
        class Meta:
            database = db
            table_name = "users"

    class ApiToken(peewee.Model):
        user = peewee.ForeignKeyField(User, on_delete="CASCADE")
        token_hash = peewee.CharField(max_length=64, unique=True)
        label = peewee.CharField(max_length=100)
        created_at = peewee.DateTimeField()
        last_used_at = peewee.DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "api_tokens"

    class LoginAttempt(peewee.Model):
        email = peewee.CharField(max_length=254, index=True)
        ip = peewee.CharField(max_length=64, index=True)
        at = peewee.DateTimeField(index=True)

        class Meta:
            database = db
            table_name = "login_attempts"

    db.create_tables([ApiToken, LoginAttempt])
