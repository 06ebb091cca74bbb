"""Every sentence Pintu writes to a person, in Bahasa Indonesia and English (gettext catalogs)."""
