"""PDF templates, fonts and message catalogs; packaged as creditsvc.templates."""
