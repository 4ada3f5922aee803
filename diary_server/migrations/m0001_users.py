import peewee


def apply(db):
    class User(peewee.Model):
        email = peewee.CharField(max_length=254, unique=True)
        name = peewee.CharField(max_length=100)
        role = peewee.CharField(max_length=20, constraints=[peewee.Check("role IN ('client', 'freelancer')")])
        password_hash = peewee.CharField(max_length=255)
        created_at = peewee.DateTimeField()

        class Meta:
            database = db
            table_name = "users"

    db.create_tables([User])
