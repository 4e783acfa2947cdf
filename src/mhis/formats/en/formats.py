# Dates shown in pages: the month by name, so 3 April is never read as 4 March across
# borders; the rest of the locale's formats are Django's.
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
