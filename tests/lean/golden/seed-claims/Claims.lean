import Claims.C0001
