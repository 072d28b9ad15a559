"""The meeting pack (a printable record of one meeting) and the staff exports: CSV and police.uk-shaped JSON."""
