"""Real-time risk rules: evaluated by the wallet's money services before posting.

models.py   the rules risk officers configure, every evaluation, held payments (cases)
rules.py    what each rule checks, one function per rule code, one query at most each
services.py evaluate a movement; hold, release, reject, ask, note, "it was me"

The staff pages (review queue, monitor) live in backoffice, which imports this; never the reverse.
"""
