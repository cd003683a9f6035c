import CShims
print(String(cString: tw_dpdk_version()))
