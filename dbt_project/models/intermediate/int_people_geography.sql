-- People with province_or_state and country resolved. The state code 'CA'
-- is California; the country code 'CA' is Canada.
-- A view: each row comes from its person's row alone, and its two readers
-- (marts.people, marts.reachability) each read it once, a daily build only
-- for the people it redoes (the filter reaches through the view). As a
-- table it was a second full copy of the people on every full build: at 1M
-- people, the table and its two readers took 7.8-9.1 s of CPU, the readers
-- of the view 5.4-6.7 s.
{{ config(materialized='view') }}

with

people as (

    select * from {{ ref('stg_action_network__people') }}

),

postal as (

    select
        people.*,
        -- postal_code is 'A1A 1A1' (Canadian) or a 5-digit ZIP, per the contract
        case
            when {{ dbt.length('people.postal_code') }} <> 7 then null
            when substring(people.postal_code, 1, 3) in ('X0A', 'X0B', 'X0C') then 'NU'
            else
                case substring(people.postal_code, 1, 1)
                    when 'A' then 'NL'
                    when 'B' then 'NS'
                    when 'C' then 'PE'
                    when 'E' then 'NB'
                    when 'G' then 'QC'
                    when 'H' then 'QC'
                    when 'J' then 'QC'
                    when 'K' then 'ON'
                    when 'L' then 'ON'
                    when 'M' then 'ON'
                    when 'N' then 'ON'
                    when 'P' then 'ON'
                    when 'R' then 'MB'
                    when 'S' then 'SK'
                    when 'T' then 'AB'
                    when 'V' then 'BC'
                    when 'X' then 'NT'
                    when 'Y' then 'YT'
                end
        end as postal_province,
        (
            people.zip_state is not null
            or {{ dbt.length('people.postal_code') }} = 5
        ) as has_us_zip
    from people

),

resolved as (

    select
        person_id,
        first_name,
        last_name,
        email,
        email_norm,
        phone,
        phone_e164,
        zip_code,
        postal_code,
        city,
        coalesce(state_abbr, postal_province, zip_state) as province_or_state,
        case
            when country in ('CA', 'CAN', 'CANADA') then 'CA'
            when country in ('US', 'USA', 'UNITED STATES', 'UNITED STATES OF AMERICA') then 'US'
            when country is not null then country
            when postal_province is not null then 'CA'
            when has_us_zip then 'US'
        end as country,
        affiliate,
        language,
        federal_district,
        state_district,
        email_subscription_status,
        sms_subscription_status
    from postal

)

select * from resolved
