"""The contract object of api.md: terms, fee, zone, locale and policy (template + overrides or full)."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..calculators import records
from ..calculators.money import CURRENCY_EXPONENTS
from ..calculators.policy import AGREEMENT_TIERS, DELIVERIES
from ..policies import POLICY_SPEC, PolicyError, resolve, resolve_as_stored
from .fields import Day, Pattern, StoredTermsAmount, TermsAmount, TimeZone, decimal_places

CONTRACT_ID = Pattern(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
                              error="Contract ids are 1-64 characters: letters, digits, . _ - (not first).")
LOCALES = ("vi", "da", "en")


class CustomerSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    address = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=500))
    tax_id = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=50))
    email = fields.Email(allow_none=True, load_default=None)


class FeeSchema(Schema):
    amount = TermsAmount(required=True, metadata={  # ContractSchema.consistent
        "description": "At most the contract currency's decimals (VND none, DKK 2)"})
    per = fields.String(required=True, validate=validate.OneOf(["month", "quarter", "year"]))


class PolicySpec(fields.Dict):
    """`{"template": ..., "overrides": {...}}` or a full policy document (rules.md §9)."""

    resolve = staticmethod(resolve)

    def _deserialize(self, value, attr, data, **kwargs):
        spec = super()._deserialize(value, attr, data, **kwargs)
        try:
            document, policy = self.resolve(spec)
        except PolicyError as error:
            raise ValidationError(error.errors) from None
        return {"spec": spec, "document": document, "policy": policy}

    def _serialize(self, value, attr, obj, **kwargs):
        return value["spec"] if isinstance(value, dict) and "spec" in value else value


class ContractSchema(Schema):
    id = fields.String(required=True, validate=CONTRACT_ID)
    customer = fields.Nested(CustomerSchema, required=True)
    currency = fields.String(required=True, validate=validate.OneOf(sorted(CURRENCY_EXPONENTS)))
    locale = fields.String(required=True, validate=validate.OneOf(LOCALES))
    timezone = TimeZone(required=True)
    fee = fields.Nested(FeeSchema, required=True)
    starts_on = Day(required=True)
    ends_on = Day(allow_none=True, load_default=None)
    support_agreement = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(AGREEMENT_TIERS))
    delivery = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(DELIVERIES))
    policy = PolicySpec(required=True, metadata=POLICY_SPEC)

    @validates_schema
    def consistent(self, data, **kwargs):
        if data.get("ends_on") and data.get("starts_on") and data["ends_on"] <= data["starts_on"]:
            raise ValidationError("ends_on must be after starts_on (the term is [starts_on, ends_on)).", "ends_on")
        policy = data.get("policy", {}).get("policy")
        if policy is not None and policy.currency and data.get("currency") and policy.currency != data["currency"]:
            raise ValidationError(f"The policy's amounts are in {policy.currency}; override the policy's "
                                  f"currency or use a {policy.currency} contract.", "currency")
        fee, currency = data.get("fee"), data.get("currency")
        if fee and currency in CURRENCY_EXPONENTS and decimal_places(fee["amount"]) > CURRENCY_EXPONENTS[currency]:
            # 100.001 DKK a month was taken and prorated; nothing can invoice a tenth of an øre
            places = CURRENCY_EXPONENTS[currency]
            raise ValidationError({"amount": [f"A {currency} fee has at most {places} decimal places."
                                              if places else f"A {currency} fee is a whole number."]}, "fee")


class StoredFeeSchema(FeeSchema):
    """A fee read as an earlier release read it (its amount " 100", "1e5" ...): only for comparing a PUT
    with the stored terms."""

    amount = StoredTermsAmount(required=True)


class StoredPolicySpec(PolicySpec):
    """A policy read as one stored by an earlier release is: not held to the rules only new input must
    keep (policies._refuse_new_input). Only for comparing a PUT with the stored terms."""

    resolve = staticmethod(resolve_as_stored)


def contract_from(data: dict) -> records.Contract:
    """A loaded contract dict as the calculators' Contract."""
    return records.Contract(
        id=data["id"],
        currency=data["currency"],
        timezone=data["timezone"],
        fee=records.Fee(data["fee"]["amount"], data["fee"]["per"]),
        starts_on=data["starts_on"],
        ends_on=data["ends_on"],
        policy=data["policy"]["policy"],
        support_agreement=data["support_agreement"],
        delivery=data["delivery"],
        locale=data["locale"],
        customer=records.Customer(**data["customer"]),
    )
