"""Professionals (专业技术人员): one record per ID number, stored encrypted."""
