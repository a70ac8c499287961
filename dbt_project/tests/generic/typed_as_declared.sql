{# A staging model holds its source kind's fields as the kind declares them (pipelines/kind_files.py
   writes the arguments): no required field is null, every closed-vocabulary field holds one of its
   codes. One query per model instead of one per column; each failing row names its event and the
   rules it breaks. The loops' layout is beyond sqlfluff's indentation rule. #}
-- noqa: disable=LT02
{% test typed_as_declared(model, required=[], vocabularies={}) %}
    select
        position,
        concat_ws(
            '; '
            {%- for column in required %},
                case when {{ column }} is null then '{{ column }} is null' end
            {%- endfor %}
            {%- for column, codes in vocabularies.items() %},
                case
                    when {{ column }} not in ('{{ codes | join("', '") }}')
                        then '{{ column }} is not one of {{ codes | join("/") }}'
                end
            {%- endfor %}
        ) as failure
    from {{ model }}
    where
        false
        {%- for column in required %}
            or {{ column }} is null
        {%- endfor %}
        {%- for column, codes in vocabularies.items() %}
            or {{ column }} not in ('{{ codes | join("', '") }}')
        {%- endfor %}
{% endtest %}
