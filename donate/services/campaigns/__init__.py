"""Campaign settings, progress figures, dashboards and transparency."""
