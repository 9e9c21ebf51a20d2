"""Tax identifiers of supplier organisations, validated per country with python-stdnum."""

from stdnum import exceptions as stdnum_errors
from stdnum.ar import cuit
from stdnum.br import cnpj
from stdnum.cl import rut as cl_rut
from stdnum.co import nit
from stdnum.cr import cpj
from stdnum.do import rnc
from stdnum.ec import ruc as ec_ruc
from stdnum.es import nif
from stdnum.gt import nit as gt_nit
from stdnum.mx import rfc
from stdnum.pe import ruc as pe_ruc
from stdnum.py import ruc as py_ruc
from stdnum.sv import nit as sv_nit
from stdnum.us import ein
from stdnum.uy import rut as uy_rut
from stdnum.ve import rif

VALIDATORS = {
    "AR": cuit,
    "BR": cnpj,
    "CL": cl_rut,
    "CO": nit,
    "CR": cpj,
    "DO": rnc,
    "EC": ec_ruc,
    "ES": nif,
    "GT": gt_nit,
    "MX": rfc,
    "PE": pe_ruc,
    "PY": py_ruc,
    "SV": sv_nit,
    "US": ein,
    "UY": uy_rut,
    "VE": rif,
}

NAMES = {
    "AR": "CUIT",
    "BR": "CNPJ",
    "CL": "RUT",
    "CO": "NIT",
    "CR": "Cédula jurídica",
    "DO": "RNC",
    "EC": "RUC",
    "ES": "NIF",
    "GT": "NIT",
    "MX": "RFC",
    "PE": "RUC",
    "PY": "RUC",
    "SV": "NIT",
    "US": "EIN",
    "UY": "RUT",
    "VE": "RIF",
}


class InvalidTaxId(ValueError):
    """The number is not a valid tax id for the country."""


def normalise_tax_id(country: str, value: str) -> str:
    """Validate `value` as the country's company tax id and return its compact form."""
    module = VALIDATORS.get(country)
    if module is None:
        raise InvalidTaxId(country)
    try:
        return module.validate(value)
    except stdnum_errors.ValidationError as exc:
        raise InvalidTaxId(country) from exc


def format_tax_id(country: str, compact: str) -> str:
    """The tax id in its usual printed form."""
    module = VALIDATORS.get(country)
    if module is not None and hasattr(module, "format"):
        try:
            return module.format(compact)
        except stdnum_errors.ValidationError:
            return compact
    return compact
