import peewee


def apply(db):
    class User(peewee.Model):
        class Meta:
            database = db
            table_name = "users"

    class Contract(peewee.Model):
        client = peewee.ForeignKeyField(User, on_delete="RESTRICT")
        freelancer = peewee.ForeignKeyField(User, on_delete="RESTRICT")
        title = peewee.CharField(max_length=120)
        currency = peewee.CharField(max_length=3)
        weekly_limit_hours = peewee.IntegerField(null=True)
        manual_time_allowed = peewee.BooleanField(default=False)
        status = peewee.CharField(max_length=10, constraints=[peewee.Check("status IN ('active', 'paused', 'ended')")])
        created_at = peewee.DateTimeField()
        updated_at = peewee.DateTimeField(index=True)
        ended_at = peewee.DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "contracts"

    class ContractRate(peewee.Model):
        contract = peewee.ForeignKeyField(Contract, on_delete="CASCADE")
        rate_cents = peewee.IntegerField()
        effective_from = peewee.DateTimeField()

        class Meta:
            database = db
            table_name = "contract_rates"
            indexes = ((("contract", "effective_from"), True),)

    class ActivityLabel(peewee.Model):
        contract = peewee.ForeignKeyField(Contract, on_delete="CASCADE")
        name = peewee.CharField(max_length=60)
        position = peewee.IntegerField()
        archived = peewee.BooleanField(default=False)

        class Meta:
            database = db
            table_name = "activity_labels"
            indexes = ((("contract", "name"), True),)

    db.create_tables([Contract, ContractRate, ActivityLabel])
