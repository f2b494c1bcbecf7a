"""Competent departments (主管部门) as data: the table bases and applications refer to."""
