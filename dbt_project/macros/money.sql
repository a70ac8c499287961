{# Money (docs/analysts.md, "Money is exact"): USD as DECIMAL(18, 2), exact to the cent, so that sums never
   depend on the order rows are added in and a centre's cents add up to the province's. #}

{# An amount, a sum of amounts or a USD figure as money: a cast rounds half away from zero to the cent. #}
{% macro money(expr) -%}
    cast({{ expr }} as decimal(18, 2))
{%- endmacro %}

{# amount (in its currency) ÷ units of that currency per USD, rounded half away from zero to the
   cent: the one place where an amount becomes USD. Worked in whole cents and millionths of a
   unit: DuckDB divides decimals as doubles, which round a half cent either way (1005 KRW at
   1000 = 1.004999… USD). A rate of 0 converts nothing (NULL, like a missing rate). #}
{% macro usd_of(amount, units_per_usd) -%}
    {%- set cents = 'cast(cast(abs(' ~ amount ~ ') as decimal(38, 2)) * 100 as hugeint)' -%}
    {%- set micro_rate = 'nullif(cast(cast(' ~ units_per_usd ~ ' as decimal(38, 6)) * 1000000 as hugeint), 0)' -%}
    {{ money(
        'sign(' ~ amount ~ ') * ((' ~ cents ~ ' * 2000000 + ' ~ micro_rate ~ ') // (2 * ' ~ micro_rate ~ ')) * 0.01'
    ) }}
{%- endmacro %}
