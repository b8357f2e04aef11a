"""Every state change and every rupiah moved. Functions flush; callers commit."""
