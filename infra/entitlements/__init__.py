"""What the accounts allow: the Cloudflare plan and add-ons a stack states
(``cloudflare``) and the account-wide quotas every stack in one account shares
(``quotas``). Each limit sits beside the page or code that states it.

The config says what was bought (`platform:cloudflare.plan` and `.addOns`,
`platform:civoAccount.quota`); validation checks every setting against it, the rules in
``infra.rules.account_quotas`` count what the plans create against the quotas, and
`platform preflight` asks the real accounts whether the config tells the truth.
"""
