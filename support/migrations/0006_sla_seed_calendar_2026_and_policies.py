"""Seeds the business-hours calendar (Mon–Fri 09:00–18:00, China's 2026 holidays and make-up
working days) and the default SLA policies; rows already there are left as the admin set them."""

from django.db import migrations


def seed(apps, schema_editor):
    from support.sla_defaults import defaults_ensure

    defaults_ensure(
        WorkingHours=apps.get_model("support", "WorkingHours"),
        CalendarDay=apps.get_model("support", "CalendarDay"),
        SlaPolicy=apps.get_model("support", "SlaPolicy"),
    )


class Migration(migrations.Migration):
    dependencies = [("support", "0005_sla_calendar_policies_clocks")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
