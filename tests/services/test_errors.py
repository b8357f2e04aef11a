"""Every service exception is a DomainError whose message is shown in the visitor's language."""

import importlib
import inspect
import pkgutil

from flask_babel import force_locale, lazy_gettext

import donate.services
from donate.services.errors import DomainError, FieldError, Rupiah
from donate.services.money.refunds import RefundRefused


def _service_modules():
    for info in pkgutil.walk_packages(donate.services.__path__, "donate.services."):
        yield importlib.import_module(info.name)


def test_every_service_exception_derives_from_the_one_base():
    found = {
        f"{module.__name__}.{name}": cls
        for module in _service_modules()
        for name, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, BaseException) and cls.__module__ == module.__name__
    }
    assert len(found) > 10
    assert [name for name, cls in found.items() if not issubclass(cls, DomainError)] == []


def test_message_is_translated_and_its_rupiah_formatted_when_shown(app):
    error = RefundRefused(lazy_gettext("a refund must be between Rp 1 and %(remaining)s"), remaining=Rupiah(100_000))
    with force_locale("id"):
        assert str(error) == "pengembalian dana harus antara Rp 1 dan Rp 100.000"
    with force_locale("en_ID"):
        assert str(error) == "a refund must be between Rp 1 and Rp 100.000"
    assert error.params == {"remaining": 100_000}


def test_field_error_names_the_field_in_words(app):
    class Invalid(FieldError):
        fields = {"birth_date": lazy_gettext("birth date")}

    error = Invalid("birth_date", lazy_gettext("is in the future"))
    assert error.field == "birth_date"
    with force_locale("id"):
        assert error.message == "di masa depan"
        assert str(error) == "tanggal lahir: di masa depan"
