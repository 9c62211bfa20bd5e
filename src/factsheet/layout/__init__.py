"""Layout: turning a resolved sheet into ReportLab flowables through a template."""
