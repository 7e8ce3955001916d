"""Stand-ins for dbt's cross-database macros, for sqlfluff's jinja templater only.

sqlfluff renders models with plain Jinja (the dbt templater is slow and needs a
warehouse). `.sqlfluff` puts this folder on `library_path`, so `{{ dbt.concat(...) }}`
renders to DuckDB-shaped SQL that sqlfluff can parse. dbt itself never reads this.
"""


def concat(fields):
    return " || ".join(fields)


def type_string():
    return "varchar"


def type_timestamp():
    return "timestamp"


def type_int():
    return "integer"


def type_bigint():
    return "bigint"


def type_numeric():
    return "numeric(28, 6)"


def type_float():
    return "float"


def type_boolean():
    return "boolean"


def length(expression):
    return f"length({expression})"


def escape_single_quotes(expression):
    return str(expression).replace("'", "''")


def string_literal(value):
    return f"'{value}'"


def cast(field, type_):
    return f"cast({field} as {type_})"


def safe_cast(field, type_):
    return f"try_cast({field} as {type_})"


def cast_bool_to_text(field):
    return f"cast({field} as varchar)"


def dateadd(datepart, interval, from_date_or_timestamp):
    return f"date_add({from_date_or_timestamp}, interval ({interval}) {datepart})"


def datediff(first_date, second_date, datepart):
    return f"date_diff('{datepart}', {first_date}, {second_date})"


def date_trunc(datepart, date):
    return f"date_trunc('{datepart}', {date})"


def last_day(date, datepart):
    return f"cast(date_add(date_trunc('{datepart}', {date}), interval 1 {datepart}) - interval 1 day as date)"


def any_value(expression):
    return f"any_value({expression})"


def bool_or(expression):
    return f"bool_or({expression})"


def hash(field):  # mirrors dbt.hash
    return f"md5(cast({field} as varchar))"


def split_part(string_text, delimiter_text, part_number):
    return f"split_part({string_text}, {delimiter_text}, {part_number})"


def replace(field, old_chars, new_chars):
    return f"replace({field}, {old_chars}, {new_chars})"


def right(string_text, length_expression):
    return f"right({string_text}, {length_expression})"


def position(substring_text, string_text):
    return f"position({substring_text} in {string_text})"
