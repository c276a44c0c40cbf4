"""Report writing: safe Excel, masking of personal data, CJK fonts for charts."""

from ._excel import neutralise_formula, write_excel
from ._fonts import use_cjk_font
from ._html import external_urls, notebook_to_html
from ._masking import mask_address, mask_frame, mask_id_number, mask_name, mask_phone, person_key
from ._visit_list import write_visit_lists

__all__ = [
    "write_excel",
    "neutralise_formula",
    "use_cjk_font",
    "mask_frame",
    "mask_id_number",
    "mask_name",
    "mask_phone",
    "mask_address",
    "person_key",
    "notebook_to_html",
    "external_urls",
    "write_visit_lists",
]
