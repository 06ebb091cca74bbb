"""Jinja2 environments that write in one language: the i18n extension with its catalog."""

from functools import cache

from jinja2 import BaseLoader, Environment, PackageLoader, StrictUndefined

from shared.wording.catalog import spoken, translations


def upper_first(text: str) -> str:
    """`text` with its first letter a capital, the rest as it is (a stage's name may open a
    sentence in one language and sit inside it in another)."""
    return text[:1].upper() + text[1:]


def environment(loader: BaseLoader, language: str) -> Environment:
    """Plain-text templates from `loader`, their {% trans %} blocks and `_()` in `language`
    (see `spoken`). A missing value is an error, never a blank in a letter."""
    env = Environment(
        loader=loader,
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # plain text: letters, SMS, e-mail
    )
    env.install_gettext_translations(translations(spoken(language)), newstyle=True)  # type: ignore[attr-defined]
    env.filters["upper_first"] = upper_first
    return env


def html_environment(loader: BaseLoader, language: str) -> Environment:
    """HTML templates from `loader` in `language` (see `spoken`): as `environment`, with every
    value escaped unless marked safe, so nothing a citizen typed becomes markup."""
    env = Environment(
        loader=loader,
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(spoken(language)), newstyle=True)  # type: ignore[attr-defined]
    env.filters["upper_first"] = upper_first
    env.globals["language"] = spoken(language)
    return env


@cache
def package_environment(package: str, folder: str, language: str) -> Environment:
    """`environment` for the templates in `package`'s `folder`, one per language."""
    return environment(PackageLoader(package, folder), spoken(language))
