"""Every write of the wallet, one module per business area. Top-level money services are
durable atomic blocks: one can never run nested inside another caller's transaction."""

from .bills import bill_payment_create, bill_payment_prepare, biller_resolve
from .budgets import budget_set, month_start, spending_by_category
from .common import (
    MovementResult,
    idempotency_key_clean,
    request_fingerprint,
    system_account_ensure,
    wallet_account_ensure,
    wallet_get_or_create,
)
from .funding import (
    FundingResult,
    rejection_reason_text,
    topup_create,
    wallet_fund_from_clearing,
    withdrawal_create,
)
from .fx import customer_rate, exchange_create, fx_quote_create
from .limits import (
    level_limits_for,
    limit_override_check,
    limit_override_grant,
    limit_override_live,
    limits_check,
    step_up_required,
    step_up_verify,
    step_up_verify_by_passkey,
)
from .payments import (
    Discount,
    PaymentQuote,
    merchant_accounts_ensure,
    merchant_resolve,
    payment_amounts,
    payment_create,
    payment_prepare,
    payment_preview,
    register_discount_provider,
    register_voucher_lister,
    voucher_choices,
)
from .requests import (
    payment_request_cancel,
    payment_request_create,
    payment_request_get,
    payment_request_pay,
)
from .reversals import REVERSIBLE_KINDS, transaction_reversal_check, transaction_reverse
from .transfers import TransferRequest, recipient_resolve, transfer_create, transfer_prepare
from .wallets import (
    wallet_activate,
    wallet_activate_within,
    wallet_freeze,
    wallet_unfreeze,
    wallet_unfreeze_check,
)

__all__ = [
    "customer_rate",
    "exchange_create",
    "fx_quote_create",
    "bill_payment_create",
    "budget_set",
    "month_start",
    "spending_by_category",
    "bill_payment_prepare",
    "biller_resolve",
    "MovementResult",
    "TransferRequest",
    "idempotency_key_clean",
    "level_limits_for",
    "limit_override_check",
    "limit_override_grant",
    "limit_override_live",
    "limits_check",
    "step_up_required",
    "step_up_verify",
    "step_up_verify_by_passkey",
    "merchant_accounts_ensure",
    "merchant_resolve",
    "payment_create",
    "payment_prepare",
    "payment_preview",
    "payment_amounts",
    "PaymentQuote",
    "Discount",
    "register_discount_provider",
    "register_voucher_lister",
    "voucher_choices",
    "payment_request_cancel",
    "payment_request_create",
    "payment_request_get",
    "payment_request_pay",
    "recipient_resolve",
    "request_fingerprint",
    "system_account_ensure",
    "transfer_create",
    "transfer_prepare",
    "wallet_account_ensure",
    "wallet_activate",
    "wallet_freeze",
    "wallet_unfreeze",
    "wallet_unfreeze_check",
    "REVERSIBLE_KINDS",
    "transaction_reversal_check",
    "transaction_reverse",
    "wallet_activate_within",
    "wallet_fund_from_clearing",
    "FundingResult",
    "topup_create",
    "rejection_reason_text",
    "withdrawal_create",
    "wallet_get_or_create",
]
