"""Money in and out: gifts, payment confirmation, refunds and disputes, provider events, checkout, subscriptions, receipts."""
