{# Every non-null value of the column lies in [min_value, max_value] (a missing bound: x < x is false). #}
{% test within_range(model, column_name, min_value=none, max_value=none) %}
select {{ column_name }}
from {{ model }}
where
    {{ column_name }} is not null
    and (
        {{ column_name }} < {{ min_value if min_value is not none else column_name }}
        or {{ column_name }} > {{ max_value if max_value is not none else column_name }}
    )
{% endtest %}
