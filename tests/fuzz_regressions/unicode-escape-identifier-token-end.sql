 /* block
comment */ é/* block
comment */U&"a"