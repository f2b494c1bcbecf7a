"""The standard departments a new installation starts with (the migration seeds the same list)."""

from __future__ import annotations

# (code, name): Hunan's provincial departments that run bases, and the cities' HR bureaus.
STANDARD: tuple[tuple[str, str], ...] = (
    ("hn-edu", "湖南省教育厅"),
    ("hn-sci", "湖南省科学技术厅"),
    ("hn-industry", "湖南省工业和信息化厅"),
    ("hn-finance", "湖南省财政厅"),
    ("hn-hrss", "湖南省人力资源和社会保障厅"),
    ("hn-nature", "湖南省自然资源厅"),
    ("hn-ecology", "湖南省生态环境厅"),
    ("hn-housing", "湖南省住房和城乡建设厅"),
    ("hn-transport", "湖南省交通运输厅"),
    ("hn-water", "湖南省水利厅"),
    ("hn-agri", "湖南省农业农村厅"),
    ("hn-commerce", "湖南省商务厅"),
    ("hn-culture", "湖南省文化和旅游厅"),
    ("hn-health", "湖南省卫生健康委员会"),
    ("hn-emergency", "湖南省应急管理厅"),
    ("hn-market", "湖南省市场监督管理局"),
    ("cs-hrss", "长沙市人力资源和社会保障局"),
    ("zz-hrss", "株洲市人力资源和社会保障局"),
    ("xt-hrss", "湘潭市人力资源和社会保障局"),
    ("hy-hrss", "衡阳市人力资源和社会保障局"),
    ("sy-hrss", "邵阳市人力资源和社会保障局"),
    ("yy-hrss", "岳阳市人力资源和社会保障局"),
    ("cd-hrss", "常德市人力资源和社会保障局"),
    ("zjj-hrss", "张家界市人力资源和社会保障局"),
    ("yiy-hrss", "益阳市人力资源和社会保障局"),
    ("cz-hrss", "郴州市人力资源和社会保障局"),
    ("yz-hrss", "永州市人力资源和社会保障局"),
    ("hh-hrss", "怀化市人力资源和社会保障局"),
    ("ld-hrss", "娄底市人力资源和社会保障局"),
    ("xx-hrss", "湘西土家族苗族自治州人力资源和社会保障局"),
)
