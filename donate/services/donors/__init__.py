"""What donors see of their gifts, their reminders, and their privacy rights."""
