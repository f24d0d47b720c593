"""Compiles the Babel message catalogs (templates/translations/*.po -> .mo) into the build, so no
compiled catalog is ever committed or made by hand. Everything else is in pyproject.toml."""
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithCatalogs(build_py):
    def run(self):
        super().run()
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for po in Path("templates/translations").glob("*/LC_MESSAGES/messages.po"):
            target = Path(self.build_lib, "creditsvc", "templates", po.relative_to("templates")).with_suffix(".mo")
            target.parent.mkdir(parents=True, exist_ok=True)
            with po.open("rb") as source, target.open("wb") as compiled:
                write_mo(compiled, read_po(source, locale=po.parts[-3]))

    def get_outputs(self, include_bytecode=True):
        outputs = super().get_outputs(include_bytecode)
        for po in Path("templates/translations").glob("*/LC_MESSAGES/messages.po"):
            outputs.append(str(Path(self.build_lib, "creditsvc", "templates",
                                    po.relative_to("templates")).with_suffix(".mo")))
        return outputs


setup(cmdclass={"build_py": BuildWithCatalogs})
