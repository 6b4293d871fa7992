"""Scores of customers (:mod:`.customers`), their open invoices (:mod:`.invoices`) and
applicants (:mod:`.applicants`), over the models, policy and shaping they share
(:mod:`.common`). Import from the module that scores what you need."""
